replay -t multicast.json -o json multicast.pcap --workers 0
