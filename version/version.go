// Package version holds the release version of appmesh and the git commit it
// was built from. Both are variables so that the build can set them with
// -ldflags "-X github.com/appmesh/appmesh/version.GitCommit=...".
package version

// Version is the release version, without the leading "v".
var Version = "0.1.0"

// GitCommit is the commit the binary was built from; empty for plain
// `go build` without ldflags.
var GitCommit string

// String returns the human form, e.g. "appmesh v0.1.0 (1a2b3c4d)".
func String() string {
	s := "appmesh v" + Version
	if GitCommit != "" {
		s += " (" + GitCommit + ")"
	}
	return s
}
