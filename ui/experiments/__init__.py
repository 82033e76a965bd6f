"""One module per scenario id: draws that experiment and returns its Evidence."""
