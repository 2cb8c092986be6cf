topology -t {root}/docs/examples/connectivity.json -o dot --path-from web1 --path-to db1 --port 22
