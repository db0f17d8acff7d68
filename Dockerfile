# The appmesh image: the static binary from `make build` and nothing else.
# Build it with `make docker` (no registry is needed: FROM scratch).
#
# The default command is a dev agent (server and client in one process,
# state in memory, raw_exec on) that listens on 127.0.0.1 INSIDE the
# container only: nothing outside the container can reach it, because a dev
# agent has no ACLs and runs any command it is given as root. Use it with
#   docker run -d --name appmesh appmesh:dev
#   docker exec appmesh /appmesh node status
#
# To reach an agent from outside the container, run it with ACLs on and
# publish the port on an address you control, e.g.
#   docker run -d -v appmesh-data:/data -p 127.0.0.1:6060:6060 appmesh:dev \
#     agent -server -client -acl-enabled -data-dir /data -bootstrap-expect 1
#   docker exec <container> /appmesh acl bootstrap   # keep the secret it prints
# and see website/operations.md ("Docker image") for clients and clusters.
FROM scratch
COPY bin/appmesh /appmesh
# A dev agent keeps its data in a temporary directory: give it a /tmp (the
# image has no shell to mkdir one; WORKDIR creates it).
WORKDIR /tmp
WORKDIR /
EXPOSE 6060 6061 6062
ENTRYPOINT ["/appmesh"]
CMD ["agent", "-dev"]
