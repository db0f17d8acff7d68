package structs

import (
	"encoding/hex"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
)

// Artifact modes: how the fetched source is placed at the destination.
const (
	ArtifactModeAny  = "any"  // a file into the destination dir; an archive unpacked
	ArtifactModeFile = "file" // the destination is the file's own path
	ArtifactModeDir  = "dir"  // the source is an archive (or directory) unpacked into the destination
)

// DefaultArtifactDestination is where an artifact lands when the job does
// not say, relative to the task's directory.
const DefaultArtifactDestination = "local/"

// TaskEventArtifactFailure: an artifact could not be fetched or verified.
// Unlike a Setup Failure it follows the restart policy, as the cause (a
// server down, a file not yet published) may well go away.
const TaskEventArtifactFailure = "Failed Artifact Download"

// TaskEventDownloadingArtifacts: the client started fetching artifacts.
const TaskEventDownloadingArtifacts = "Downloading Artifacts"

// artifactChecksumLen is the hex length of each supported digest.
var artifactChecksumLen = map[string]int{"md5": 32, "sha1": 40, "sha256": 64, "sha512": 128}

// artifactOptions are the keys of an artifact's options block appmesh
// understands; Nomad's go-getter has more (git refs, S3 keys ...).
var artifactOptions = map[string]bool{"archive": true, "checksum": true}

// TaskArtifact is a task's `artifact` block: a file fetched by the client
// into the task's directory before the task starts.
type TaskArtifact struct {
	// Source is an http(s) URL, or a file:// URL or absolute path that the
	// client allows only under its artifact_local_dirs.
	Source string `json:"source"`
	// Destination is relative to the task's directory ("local/" default).
	Destination string `json:"destination,omitempty"`
	// Mode is any (default), file or dir.
	Mode string `json:"mode,omitempty"`
	// Checksum is "<algo>:<hex>"; Nomad's options { checksum } works too.
	Checksum string `json:"checksum,omitempty"`
	// Options: archive = false keeps an archive packed.
	Options map[string]string `json:"options,omitempty"`
	// Headers are sent with an http(s) request.
	Headers map[string]string `json:"headers,omitempty"`
}

// EffectiveChecksum is the checksum to verify, from either place.
func (a *TaskArtifact) EffectiveChecksum() string {
	if a.Checksum != "" {
		return a.Checksum
	}
	return a.Options["checksum"]
}

// Unpack reports whether an archive source is unpacked.
func (a *TaskArtifact) Unpack() bool {
	v, ok := a.Options["archive"]
	return !ok || (v != "false" && v != "0")
}

// DestinationOrDefault is the destination, "local/" when unset.
func (a *TaskArtifact) DestinationOrDefault() string {
	if a.Destination == "" {
		return DefaultArtifactDestination
	}
	return a.Destination
}

// ModeOrDefault is the mode, "any" when unset.
func (a *TaskArtifact) ModeOrDefault() string {
	if a.Mode == "" {
		return ArtifactModeAny
	}
	return a.Mode
}

// ParseArtifactChecksum splits "sha256:<hex>" into algorithm and lower-case
// hex digest, with a message naming what is wrong.
func ParseArtifactChecksum(s string) (algo, digest string, err error) {
	algo, digest, ok := strings.Cut(s, ":")
	if !ok {
		return "", "", fmt.Errorf("checksum %q must be <type>:<hex>, such as sha256:<64 hex digits>", s)
	}
	algo = strings.ToLower(algo)
	n, known := artifactChecksumLen[algo]
	if !known {
		return "", "", fmt.Errorf("checksum type %q is not supported: use md5, sha1, sha256 or sha512", algo)
	}
	if _, herr := hex.DecodeString(digest); herr != nil || len(digest) != n {
		return "", "", fmt.Errorf("checksum %q: a %s digest is %d hex digits", s, algo, n)
	}
	return algo, strings.ToLower(digest), nil
}

// Validate checks the artifact; problems are relative to it.
func (a *TaskArtifact) Validate() error {
	v := &ValidationError{}
	a.validateSource(v)
	dest := a.DestinationOrDefault()
	switch {
	case filepath.IsAbs(dest):
		v.Add("", "destination %q must be relative to the task's directory (such as local/)", dest)
	case filepath.Clean(dest) == ".." || strings.HasPrefix(filepath.Clean(dest), "../"):
		v.Add("", "destination %q leaves the task's directory", dest)
	}
	switch a.ModeOrDefault() {
	case ArtifactModeAny, ArtifactModeFile, ArtifactModeDir:
	default:
		v.Add("", "mode %q is invalid: use any, file or dir", a.Mode)
	}
	keys := make([]string, 0, len(a.Options))
	for k := range a.Options {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !artifactOptions[k] {
			v.Add("options", "%q is not supported by appmesh: only archive and checksum are", k)
		}
	}
	if o := a.Options["checksum"]; o != "" && a.Checksum != "" && o != a.Checksum {
		v.Add("", "checksum and options.checksum differ: set one of them")
	}
	if arch, ok := a.Options["archive"]; ok && arch != "true" && arch != "false" && arch != "1" && arch != "0" {
		v.Add("options", "archive = %q must be true or false", arch)
	}
	if c := a.EffectiveChecksum(); c != "" {
		if _, _, err := ParseArtifactChecksum(c); err != nil {
			v.Add("", "%v", err)
		}
	}
	return v.ErrorOrNil()
}

func (a *TaskArtifact) validateSource(v *ValidationError) {
	src := a.Source
	if strings.TrimSpace(src) == "" {
		v.Add("", "source is required")
		return
	}
	if getter, _, ok := strings.Cut(src, "::"); ok && !strings.Contains(getter, "/") {
		v.Add("", "source %q: the %q getter is not supported by appmesh: use an http(s) URL, or a file:// URL the client allows", src, getter)
		return
	}
	if filepath.IsAbs(src) {
		return
	}
	scheme, _, ok := strings.Cut(src, "://")
	if !ok {
		v.Add("", "source %q must be an http(s) URL, a file:// URL or an absolute path", src)
		return
	}
	switch strings.ToLower(scheme) {
	case "http", "https", "file":
	default:
		v.Add("", "source %q: scheme %q is not supported by appmesh: use http, https or file", src, scheme)
	}
}

// Copy returns a deep copy; nil stays nil.
func (a *TaskArtifact) Copy() *TaskArtifact {
	if a == nil {
		return nil
	}
	c := *a
	c.Options = copyStringMap(a.Options)
	c.Headers = copyStringMap(a.Headers)
	return &c
}

// validateArtifacts adds each artifact's problems as artifact[i].
func validateArtifacts(v *ValidationError, arts []*TaskArtifact) {
	for i, a := range arts {
		if a == nil {
			v.Add(fmt.Sprintf("artifact[%d]", i), "is empty")
			continue
		}
		v.Merge(fmt.Sprintf("artifact[%d]", i), a.Validate())
	}
}

// copyArtifacts deep-copies a task's artifacts.
func copyArtifacts(arts []*TaskArtifact) []*TaskArtifact {
	if arts == nil {
		return nil
	}
	out := make([]*TaskArtifact, len(arts))
	for i, a := range arts {
		out[i] = a.Copy()
	}
	return out
}
