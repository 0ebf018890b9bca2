"""Two recordings (or a stored and a live answer) compared: `model` says what differs, typed
and free of any UI (`diff`, `compare`, `check --fix` and the app share it); `render` turns
it into Rich renderables for the terminal commands and the app's screens. No Textual."""
