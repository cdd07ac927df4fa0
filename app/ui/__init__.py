"""Qt shell: main window, docks, dialogs. Reads and edits the model, asks the canvas to render."""
