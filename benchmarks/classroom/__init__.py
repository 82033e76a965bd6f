"""The classroom load test's parts; `python -m benchmarks.classroom_load` runs them.

- `plan`: the shared links (from the question bank), who opens which, when, and how they move.
- `sampler`: the server and the load generator every 0.5 s, from /proc.
- `records`: what happened: moves, errors, students.
- `protocol_client`: a student speaking Streamlit's websocket protocol.
- `browser_student`: a student in Chromium.
- `lesson`: the class from the teacher's check to everyone leaving.
- `report`: the summary, the targets and the printed tables.
"""
