topology -t valid.json -o x.html
