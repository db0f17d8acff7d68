package docker

import (
	"archive/tar"
	"bufio"
	"context"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// A bridge-mode allocation with docker tasks keeps its network namespace in
// a "pause" container: Docker can make a container join another
// container's namespace (network mode "container:<name>") but not a
// namespace file, so the client starts this container first, wires the
// allocation's veth into its namespace and bind-mounts that namespace
// where exec and raw_exec tasks join it (client/bridgenet). The docker
// tasks then run with network mode "container:<pause>", sharing its
// network and host name.
//
// The image is this very binary (statically linked, as `make build` makes
// it) in an otherwise empty image, imported once per binary version:
// nothing is pulled and no registry is needed.

// PauseArg is the first argument that makes the appmesh binary hold a
// pause container's namespaces (main.go).
const PauseArg = "bridge-pause"

// PauseContainerName is the container holding an allocation's network.
func PauseContainerName(allocID string) string { return "appmesh-pause-" + allocID }

// HoldPause is the pause container's process: it waits for a stop signal.
func HoldPause() {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGTERM, syscall.SIGINT)
	<-ch
}

// Pause starts and removes allocations' pause containers.
type Pause struct {
	mu     sync.Mutex
	client *client.Client
	image  string // set once the image exists
}

// NewPause connects to the engine named by DOCKER_HOST (default: the local
// socket) on first use.
func NewPause() *Pause { return &Pause{} }

func (p *Pause) docker() (*client.Client, error) {
	if p.client == nil {
		c, err := client.New(client.FromEnv)
		if err != nil {
			return nil, fmt.Errorf("docker client: %w", err)
		}
		p.client = c
	}
	return p.client, nil
}

// Start makes sure the allocation's pause container runs, with hostname
// ("" for Docker's default), and returns its process ID.
func (p *Pause) Start(allocID, hostname string) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	c, err := p.docker()
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), pullTimeout)
	defer cancel()
	name := PauseContainerName(allocID)
	if in, err := c.ContainerInspect(ctx, name, client.ContainerInspectOptions{}); err == nil {
		if st := in.Container.State; st != nil && st.Running && st.Pid > 0 {
			return st.Pid, nil // a restarted agent re-attaching
		}
		// Stopped (the host rebooted, someone stopped it): its namespace
		// is gone; start over with a fresh one.
		if _, err := c.ContainerRemove(ctx, name, client.ContainerRemoveOptions{Force: true}); err != nil {
			return 0, fmt.Errorf("removing the stopped pause container %s: %w", name, err)
		}
	}
	image, err := p.ensureImage(ctx, c)
	if err != nil {
		return 0, err
	}
	_, err = c.ContainerCreate(ctx, client.ContainerCreateOptions{
		Name: name,
		Config: &container.Config{
			Image:    image,
			Cmd:      []string{"/pause", PauseArg},
			Hostname: hostname,
			Labels:   map[string]string{"appmesh.alloc_id": allocID, "appmesh.pause": "1"},
		},
		HostConfig: &container.HostConfig{
			NetworkMode: "none", // the client wires the allocation's veth in
			Resources:   container.Resources{Memory: 32 << 20},
			LogConfig:   container.LogConfig{Type: "none"},
		},
	})
	if err != nil {
		return 0, fmt.Errorf("creating pause container %s: %w", name, err)
	}
	if _, err := c.ContainerStart(ctx, name, client.ContainerStartOptions{}); err != nil {
		_, _ = c.ContainerRemove(ctx, name, client.ContainerRemoveOptions{Force: true})
		return 0, fmt.Errorf("starting pause container %s: %w", name, err)
	}
	in, err := c.ContainerInspect(ctx, name, client.ContainerInspectOptions{})
	if err != nil {
		return 0, fmt.Errorf("inspecting pause container %s: %w", name, err)
	}
	if st := in.Container.State; st == nil || !st.Running || st.Pid <= 0 {
		return 0, fmt.Errorf("pause container %s is not running after its start", name)
	}
	return in.Container.State.Pid, nil
}

// Remove stops and deletes the allocation's pause container; a missing one
// is no error.
func (p *Pause) Remove(allocID string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	c, err := p.docker()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), apiTimeout)
	defer cancel()
	_, err = c.ContainerRemove(ctx, PauseContainerName(allocID), client.ContainerRemoveOptions{Force: true})
	if err != nil && !strings.Contains(strings.ToLower(err.Error()), "no such container") {
		return fmt.Errorf("removing pause container: %w", err)
	}
	return nil
}

// ensureImage imports this binary as the pause image unless it exists.
func (p *Pause) ensureImage(ctx context.Context, c *client.Client) (string, error) {
	if p.image != "" {
		return p.image, nil
	}
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("pause image: finding this binary: %w", err)
	}
	sum, size, err := staticBinarySum(exe)
	if err != nil {
		return "", err
	}
	ref := "appmesh-pause:" + sum[:16]
	if _, err := c.ImageInspect(ctx, ref); err == nil {
		p.image = ref
		return ref, nil
	}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(writePauseTar(pw, exe, size)) }()
	res, err := c.ImageImport(ctx, client.ImageImportSource{Source: pr, SourceName: "-"}, ref,
		client.ImageImportOptions{Message: "appmesh bridge-mode pause container"})
	if err != nil {
		pr.CloseWithError(err)
		return "", fmt.Errorf("importing the pause image %s: %w", ref, err)
	}
	defer res.Close()
	if err := importErrors(res); err != nil {
		return "", fmt.Errorf("importing the pause image %s: %w", ref, err)
	}
	p.image = ref
	return ref, nil
}

// staticBinarySum checks that exe runs in an empty image (no dynamic
// loader) and returns its SHA-256 and size.
func staticBinarySum(exe string) (string, int64, error) {
	f, err := elf.Open(exe)
	if err != nil {
		return "", 0, fmt.Errorf("pause image: reading %s: %w", exe, err)
	}
	for _, prog := range f.Progs {
		if prog.Type == elf.PT_INTERP {
			f.Close()
			return "", 0, fmt.Errorf("pause image: %s is dynamically linked; docker tasks in network mode \"bridge\" need a static appmesh binary (CGO_ENABLED=0, as `make build` builds it)", exe)
		}
	}
	f.Close()
	r, err := os.Open(exe)
	if err != nil {
		return "", 0, err
	}
	defer r.Close()
	h := sha256.New()
	n, err := io.Copy(h, r)
	if err != nil {
		return "", 0, fmt.Errorf("pause image: hashing %s: %w", exe, err)
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// writePauseTar writes the image's only file, /pause.
func writePauseTar(w io.Writer, exe string, size int64) error {
	f, err := os.Open(exe)
	if err != nil {
		return err
	}
	defer f.Close()
	tw := tar.NewWriter(w)
	if err := tw.WriteHeader(&tar.Header{Name: "pause", Mode: 0o755, Size: size, ModTime: time.Unix(0, 0), Typeflag: tar.TypeReg}); err != nil {
		return err
	}
	if _, err := io.CopyN(tw, f, size); err != nil {
		return err
	}
	return tw.Close()
}

// importErrors reads the engine's JSON progress stream and returns the
// error it reports, if any.
func importErrors(r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var msg struct {
			Error       string `json:"error"`
			ErrorDetail struct {
				Message string `json:"message"`
			} `json:"errorDetail"`
		}
		if json.Unmarshal(sc.Bytes(), &msg) == nil && (msg.Error != "" || msg.ErrorDetail.Message != "") {
			if msg.ErrorDetail.Message != "" {
				return errors.New(msg.ErrorDetail.Message)
			}
			return errors.New(msg.Error)
		}
	}
	return sc.Err()
}
