package agent

import (
	"fmt"
	"path/filepath"
)

// AppMeshConfig is the agent's `appmesh_api` block (website/appmesh-api.md):
//
//	appmesh_api {
//	  file_base_dir = "/srv/appmesh-files"
//	}
//
// FileBaseDir is the only directory App Mesh's file download and upload
// reach; default <data_dir>/appmesh-files.
type AppMeshConfig struct {
	FileBaseDir string `hcl:"file_base_dir,optional"`
}

// validate checks the block.
func (c *AppMeshConfig) validate() error {
	if c == nil || c.FileBaseDir == "" {
		return nil
	}
	if !filepath.IsAbs(c.FileBaseDir) {
		return fmt.Errorf("appmesh_api: file_base_dir %q must be an absolute path", c.FileBaseDir)
	}
	return nil
}

// amFileBaseDir is the directory App Mesh's file API is confined to: the
// configured one, else appmesh-files in the data dir (the dev agent's
// temporary one); "" when there is none.
func (a *Agent) amFileBaseDir() string {
	if c := a.config.AppMesh; c != nil && c.FileBaseDir != "" {
		return filepath.Clean(c.FileBaseDir)
	}
	if a.config.DataDir != "" {
		return filepath.Join(a.config.DataDir, "appmesh-files")
	}
	if a.tempDir != "" {
		return filepath.Join(a.tempDir, "appmesh-files")
	}
	return ""
}

// WithAppMeshFiles confines App Mesh's file API to dir.
func WithAppMeshFiles(dir string) HTTPServerOption {
	return func(s *HTTPServer) { s.amFileBase = dir }
}
