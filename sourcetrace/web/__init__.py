"""The web app and HTTP API (`sourcetrace serve`): see `sourcetrace.web.app.create_app`."""
