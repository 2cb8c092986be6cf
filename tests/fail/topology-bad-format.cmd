topology -t ../../docs/examples/connectivity.json -o png
