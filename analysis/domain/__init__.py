"""The abstract domain: dtype limits, sound intervals, and the abstract value of a tensor."""
