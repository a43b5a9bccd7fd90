"""Settings and the partner registry: read at the edges (CLI, app factory), passed down."""
