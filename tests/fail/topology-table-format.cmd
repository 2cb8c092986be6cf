topology -t valid.json -o table
