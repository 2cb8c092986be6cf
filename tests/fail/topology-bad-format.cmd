topology -t ../../docs/examples/connectivity.json --format png
