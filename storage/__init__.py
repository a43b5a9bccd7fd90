"""SQL state shared by the packages that keep it (`ill`, `accounts`): one SQLite file by default,
or a PostgreSQL server that several web hosts share."""
