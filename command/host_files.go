package command

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// FileGetCommand downloads a file from an agent's file directory.
type FileGetCommand struct{ Meta }

func (c *FileGetCommand) Synopsis() string { return "Download a file from an agent's file directory" }

func (c *FileGetCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh file get [options] <remote> [<local>]

  Downloads <remote>, a path in the agent's file directory (appmesh_api
  { file_base_dir }), to <local> (default: its base name here), with its
  permission bits. Paths that lead outside that directory are refused.
  Needs agent:read.

` + generalOptions)
}

func (c *FileGetCommand) Run(args []string) int {
	fs := c.flagSet("file get", false)
	if code := c.parseFlags(fs, args, c.Help(), 1, 2); code >= 0 {
		return code
	}
	remote, local := fs.Arg(0), fs.Arg(1)
	if local == "" {
		local = filepath.Base(remote)
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	tmp := local + ".part"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	info, err := client.AppMesh().DownloadFile(context.Background(), remote, f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && info.Mode >= 0 {
		err = os.Chmod(tmp, os.FileMode(info.Mode)&0o777)
	}
	if err == nil {
		err = os.Rename(tmp, local)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return c.errorf("Error downloading %q: %v", remote, err)
	}
	c.Ui.Output(fmt.Sprintf("Downloaded %s to %s", remote, local))
	return exitOK
}

// FilePutCommand uploads a file into an agent's file directory.
type FilePutCommand struct{ Meta }

func (c *FilePutCommand) Synopsis() string { return "Upload a file into an agent's file directory" }

func (c *FilePutCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh file put [options] <local> [<remote>]

  Uploads <local> as <remote> (default: its base name) in the agent's file
  directory (appmesh_api { file_base_dir }), with its permission bits.
  Paths that lead outside that directory are refused. Needs agent:write.

` + generalOptions)
}

func (c *FilePutCommand) Run(args []string) int {
	fs := c.flagSet("file put", false)
	if code := c.parseFlags(fs, args, c.Help(), 1, 2); code >= 0 {
		return code
	}
	local, remote := fs.Arg(0), fs.Arg(1)
	if remote == "" {
		remote = filepath.Base(local)
	}
	f, err := os.Open(local)
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	if err := client.AppMesh().UploadFile(context.Background(), remote, io.Reader(f), int(fi.Mode().Perm())); err != nil {
		return c.errorf("Error uploading %q: %v", local, err)
	}
	c.Ui.Output(fmt.Sprintf("Uploaded %s to %s", local, remote))
	return exitOK
}

// ResourceCommand shows an agent's host report.
type ResourceCommand struct{ Meta }

func (c *ResourceCommand) Synopsis() string { return "Show the host resources of an agent's node" }

func (c *ResourceCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh resource [options]

  Shows the CPU, memory, disks, load and network of the host of the agent
  at -address, as App Mesh's "appc resource" does (-json for its JSON).
  Needs node:read.

` + generalOptions + jsonOption)
}

func (c *ResourceCommand) Run(args []string) int {
	fs := c.flagSet("resource", true)
	if code := c.parseFlags(fs, args, c.Help(), 0, 0); code >= 0 {
		return code
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	res, err := client.AppMesh().Resources()
	if err != nil {
		return c.errorf("Error reading host resources: %v", err)
	}
	if c.json {
		return c.outputJSON(res)
	}
	c.Ui.Output(formatResources(res))
	return exitOK
}

// formatResources prints the scalar fields as key = value, then the load,
// file systems and addresses.
func formatResources(res map[string]any) string {
	keys := make([]string, 0, len(res))
	for k, v := range res {
		switch v.(type) {
		case map[string]any, []any:
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	pairs := make([]string, 0, 2*len(keys)+6)
	for _, k := range keys {
		pairs = append(pairs, k, plainNumber(res[k]))
	}
	if l, ok := res["load"].(map[string]any); ok {
		pairs = append(pairs, "load", fmt.Sprintf("%v %v %v", l["1min"], l["5min"], l["15min"]))
	}
	var b strings.Builder
	b.WriteString(formatKV(pairs...))
	if fs, ok := res["fs"].([]any); ok && len(fs) > 0 {
		b.WriteString("\n\nFile systems\n")
		rows := [][]string{{"Mount point", "Device", "Size", "Used", "Usage"}}
		for _, e := range fs {
			d, _ := e.(map[string]any)
			u, _ := d["usage"].(float64)
			rows = append(rows, []string{fmt.Sprint(d["mount_point"]), fmt.Sprint(d["device"]),
				fmt.Sprintf("%.0f", d["size"]), fmt.Sprintf("%.0f", d["used"]), fmt.Sprintf("%.1f%%", 100*u)})
		}
		b.WriteString(formatTable(rows))
	}
	if nets, ok := res["net"].([]any); ok && len(nets) > 0 {
		b.WriteString("\n\nAddresses\n")
		rows := [][]string{{"Interface", "Address", "IPv4"}}
		for _, e := range nets {
			d, _ := e.(map[string]any)
			rows = append(rows, []string{fmt.Sprint(d["name"]), fmt.Sprint(d["address"]), fmt.Sprint(d["ipv4"])})
		}
		b.WriteString(formatTable(rows))
	}
	return b.String()
}

// plainNumber prints a JSON number without an exponent when it is whole.
func plainNumber(v any) string {
	if f, ok := v.(float64); ok && f == float64(int64(f)) {
		return fmt.Sprintf("%d", int64(f))
	}
	return fmt.Sprint(v)
}
