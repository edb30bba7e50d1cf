"""The HTTP service and web page: ``dataflow-rules serve``.

Its commands are :mod:`.commands`; FastAPI, uvicorn and Jinja2 are imported when ``serve``
runs (they come with the ``serve`` extra).
"""
