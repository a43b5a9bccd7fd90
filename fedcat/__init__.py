"""fedcat: the command line and the glue between the layers."""
