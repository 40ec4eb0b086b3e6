"""`graphviz-bp step`: the forward and backward passes one node at a time, in the terminal.

state.py is the model (no terminal code), layout.py draws the graph on a character grid,
screen.py builds each frame, transcript.py prints the steps as text and app.py reads keys.
"""
