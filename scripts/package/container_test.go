package debpkg

import (
	"archive/tar"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The install test needs a Debian userland for dpkg and the maintainer
// scripts, and the machine has no images and no registry. So the
// container's root is an image imported from a tar made here: empty
// writable /usr, /etc and /var (where dpkg installs and keeps its
// database), with /bin, /sbin and /lib pointing into the host's own /usr,
// mounted read-only at /host/usr. The package's files land in the
// container's /usr, never in the host's.

// installScript installs the package, starts the agent the way the unit
// does, reloads it, stops it, removes and purges the package, printing a
// line for each fact the test checks.
const installScript = `set -e
dpkg -i "/pkg/$DEB"
echo "datadir mode $(stat -c %a /var/lib/appmesh)"
echo "enabled -> $(readlink /etc/systemd/system/multi-user.target.wants/appmesh.service)"
echo "installed: $(/usr/bin/appmesh version)"
if command -v systemd-analyze >/dev/null 2>&1; then
	systemd-analyze verify /usr/lib/systemd/system/appmesh.service
	echo "unit verified"
fi
/usr/bin/appmesh agent -config /etc/appmesh.d/appmesh.hcl >/tmp/agent.log 2>&1 &
pid=$!
i=0
until /usr/bin/appmesh node status 2>/dev/null | grep -q ready; do
	i=$((i + 1))
	if [ "$i" -gt 600 ] || ! kill -0 "$pid" 2>/dev/null; then
		echo "agent not ready"; cat /tmp/agent.log; exit 1
	fi
	sleep 0.1
done
echo "agent ready"
kill -HUP "$pid"
i=0
until grep -q "configuration reloaded" /tmp/agent.log; do
	i=$((i + 1))
	if [ "$i" -gt 600 ]; then echo "no reload"; cat /tmp/agent.log; exit 1; fi
	sleep 0.1
done
echo "agent reloaded"
kill "$pid"
wait "$pid" || true
dpkg -r appmesh
[ ! -e /usr/bin/appmesh ] && echo "binary removed"
[ ! -e /etc/systemd/system/multi-user.target.wants/appmesh.service ] && echo "unit disabled"
[ -f /etc/appmesh.d/appmesh.hcl ] && echo "conffile kept on remove"
[ -d /var/lib/appmesh ] && echo "data kept on remove"
dpkg --purge appmesh
[ ! -e /etc/appmesh.d/appmesh.hcl ] && echo "conffile purged"
`

func installInContainer(t *testing.T, deb, version string) {
	t.Helper()
	if why := containerUnavailable(); why != "" {
		t.Skipf("install in a container not tested: %s (the dpkg-deb checks above ran)", why)
	}
	tag := fmt.Sprintf("appmesh-debtest:%d", time.Now().UnixNano())
	rootfs, err := rootfsTar()
	if err != nil {
		t.Fatal(err)
	}
	if out, err := run(t, 2*time.Minute, rootfs, "docker", "import", "-", tag); err != nil {
		t.Fatalf("docker import: %v\n%s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("docker", "rmi", "-f", tag).Run() })
	out, err := run(t, 5*time.Minute, nil, "docker", "run", "--rm",
		"-v", "/usr:/host/usr:ro", "-v", filepath.Dir(deb)+":/pkg:ro",
		"-e", "DEB="+filepath.Base(deb),
		"-e", "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
		// systemctl's private library is found through a RUNPATH in /usr.
		"-e", "LD_LIBRARY_PATH=/host/usr/lib/x86_64-linux-gnu/systemd:/host/usr/lib/aarch64-linux-gnu/systemd",
		tag, "/bin/sh", "-c", installScript)
	if err != nil {
		t.Fatalf("install in a container: %v\n%s", err, out)
	}
	for _, want := range []string{
		"Setting up appmesh (" + version + ")",
		"datadir mode 711",
		"enabled -> /usr/lib/systemd/system/appmesh.service",
		"installed: appmesh v" + version,
		"agent ready", "agent reloaded",
		"binary removed", "unit disabled", "conffile kept on remove", "data kept on remove", "conffile purged",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("install in a container: output lacks %q\n%s", want, out)
		}
	}
	t.Logf("installed, started, reloaded and removed in a container:\n%s", out)
}

// containerUnavailable says why the container test cannot run here, or "".
func containerUnavailable() string {
	if _, err := exec.LookPath("docker"); err != nil {
		return "no docker CLI"
	}
	if out, err := exec.Command("docker", "info", "--format", "{{.ServerVersion}}").CombinedOutput(); err != nil {
		return fmt.Sprintf("docker engine not reachable: %v: %s", err, bytes.TrimSpace(out))
	}
	for _, p := range []string{"/usr/bin/dpkg", "/usr/bin/sh"} {
		if _, err := os.Stat(p); err != nil {
			return fmt.Sprintf("the host has no Debian userland in /usr to lend the container (%s: %v)", p, err)
		}
	}
	return ""
}

// rootfsTar is the container's root: see the comment at the top.
func rootfsTar() ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, d := range []string{"usr", "etc", "var", "var/lib", "var/lib/dpkg", "var/lib/dpkg/info", "var/lib/dpkg/updates",
		"run", "root", "host", "pkg", "proc", "dev", "sys"} {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d + "/", Mode: 0o755}); err != nil {
			return nil, err
		}
	}
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: "tmp/", Mode: 0o1777}); err != nil {
		return nil, err
	}
	for name, target := range map[string]string{"bin": "host/usr/bin", "sbin": "host/usr/sbin", "lib": "host/usr/lib", "lib64": "host/usr/lib64"} {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeSymlink, Name: name, Linkname: target, Mode: 0o777}); err != nil {
			return nil, err
		}
	}
	files := map[string][]byte{"var/lib/dpkg/status": nil}
	// Users and groups: dpkg gives the files to root by name.
	for _, f := range []string{"etc/passwd", "etc/group"} {
		b, err := os.ReadFile("/" + f)
		if err != nil {
			return nil, err
		}
		files[f] = b
	}
	for name, body := range files {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: int64(len(body))}); err != nil {
			return nil, err
		}
		if _, err := tw.Write(body); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
