"""The app's routes, one module per area: the HTTP API, the pages, the corpus pages and API."""
