"""Machine help for cataloguers and patrons: subject suggestion and related works.

`corpus` turns the record store's works into training text and headings, `model` learns
headings from them (scikit-learn) and explains each suggestion, `suggestions` keeps what the
model suggested and what staff decided apart from the catalogued headings, `related` finds
works like a work (through the engine interface) and works requested together (from anonymous
pair counts), and `cli` is `fedcat ai ...`. Nothing here is downloaded at run time.
"""
