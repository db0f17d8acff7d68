package agent

import (
	"fmt"
	"path/filepath"
)

// artifactConfigProblems checks the client's artifact settings.
func artifactConfigProblems(c *ClientConfig) []string {
	if c == nil {
		return nil
	}
	var out []string
	for _, d := range c.ArtifactLocalDirs {
		if !filepath.IsAbs(d) {
			out = append(out, fmt.Sprintf("client artifact_local_dirs %q: the path must be absolute", d))
		} else if filepath.Clean(d) == "/" {
			out = append(out, "client artifact_local_dirs: \"/\" would let every job read every file of the client; list the directories that hold artifacts")
		}
	}
	if c.ArtifactMaxSizeMB < 0 {
		out = append(out, fmt.Sprintf("client artifact_max_size_mb = %d must not be negative", c.ArtifactMaxSizeMB))
	}
	return out
}
