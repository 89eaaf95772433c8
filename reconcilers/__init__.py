"""One module per managed resource kind: observe → pure plan → apply."""
