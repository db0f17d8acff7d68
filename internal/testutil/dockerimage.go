package testutil

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// BuildScratchImage builds the Docker image tag FROM scratch holding one
// static Go program, /srv, as its entrypoint. mainSrc is the path of the
// program's main.go (kept as .go.txt in testdata so that `go vet ./...`
// does not build it as part of the module). No registry is needed: the
// tests of the docker driver and the e2e crash-window test run on an
// engine that has no images. The caller removes the image (RemoveImage).
func BuildScratchImage(tag, mainSrc string) error {
	if _, err := exec.LookPath("docker"); err != nil {
		return fmt.Errorf("docker CLI not found: %w", err)
	}
	src, err := os.ReadFile(mainSrc)
	if err != nil {
		return fmt.Errorf("reading the image's program: %w", err)
	}
	dir, err := os.MkdirTemp("", "appmesh-docker-image-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	files := map[string]string{
		"main.go":    string(src),
		"go.mod":     "module srv\n\ngo 1.22\n",
		"Dockerfile": "FROM scratch\nCOPY srv /srv\nENTRYPOINT [\"/srv\"]\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			return err
		}
	}
	build := exec.Command("go", "build", "-o", "srv", ".")
	build.Dir = dir
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOWORK=off", "GOFLAGS=")
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %v: %s", mainSrc, err, out)
	}
	if out, err := exec.Command("docker", "build", "-q", "-t", tag, dir).CombinedOutput(); err != nil {
		return fmt.Errorf("docker build %s: %v: %s", tag, err, out)
	}
	return nil
}

// RemoveImage removes an image BuildScratchImage built.
func RemoveImage(tag string) {
	_ = exec.Command("docker", "rmi", "-f", tag).Run()
}
