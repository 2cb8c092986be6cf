topology -t ../../docs/examples/connectivity.json --path-from web1
