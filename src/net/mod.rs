//! The only module with sockets: VRRP raw sockets, netlink addresses and links, gratuitous ARP.
