# appmesh agent configuration, read by the systemd unit as
# /etc/appmesh.d/appmesh.hcl (website/install.md, website/operations.md).
# After an edit: `systemctl reload appmesh` applies log_level and
# client meta at once and logs every other changed setting as needing
# `systemctl restart appmesh` (running tasks survive a restart).
#
# This default is one node that is both server and client, reachable
# only from this machine. Before binding another address, turn on ACLs
# (acl { enabled = true }, then `appmesh acl bootstrap`) and TLS
# (website/security.md): whoever reaches the API can run commands as root.

data_dir  = "/var/lib/appmesh"
bind_addr = "127.0.0.1"
log_level = "INFO"

server {
  enabled          = true
  bootstrap_expect = 1
}

client {
  enabled = true
  # Labels of this node (App Mesh's labels), usable in constraints as
  # ${meta.KEY}; changed live on reload.
  # meta = { zone = "a" }
}

# acl {
#   enabled = true
# }
