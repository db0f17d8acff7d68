# The appmesh image: the static binary from `make build` and nothing else.
# Build it with `make docker` (no registry is needed: FROM scratch).
FROM scratch
COPY bin/appmesh /appmesh
EXPOSE 6060 6061 6062
ENTRYPOINT ["/appmesh"]
CMD ["agent", "-dev", "-bind", "0.0.0.0"]
