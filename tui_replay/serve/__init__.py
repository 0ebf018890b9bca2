"""`tui-replay serve`: recordings as a live, OpenAI-compatible endpoint.

Data layer (no Textual): `index` maps requests to recordings, `replies` turns a recording into
an HTTP answer, `upstream` records a miss from a real server, `web` is the Starlette app and
`server` runs it on uvicorn.
"""
