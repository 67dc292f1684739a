// placeholder for the demo
