test-ip-flow --topology={root}/docs/examples/web-app.json --vm=web1 --direction=Outbound --protocol=udp --local=10.0.1.4:5000 --remote=10.10.0.4:53 --output=json
