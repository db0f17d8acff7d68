package api

import (
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"path"
	"strconv"
)

// AppMesh calls the agent's App Mesh API (/appmesh/) for the host tools
// App Mesh users know: labels, files, host resources.
type AppMesh struct{ c *Client }

// AppMesh returns the /appmesh/ calls of this client.
func (c *Client) AppMesh() *AppMesh { return &AppMesh{c: c} }

// Labels are the agent's node's labels (its meta).
func (a *AppMesh) Labels() (map[string]string, error) {
	var out map[string]string
	_, err := a.c.query("/appmesh/labels", nil, nil, &out)
	return out, err
}

// SetLabel sets one label and returns them all.
func (a *AppMesh) SetLabel(name, value string) (map[string]string, error) {
	var out map[string]string
	_, err := a.c.write(http.MethodPut, "/appmesh/label/"+escapeID(name), url.Values{"value": {value}}, nil, &out)
	return out, err
}

// DeleteLabel removes one label and returns the others.
func (a *AppMesh) DeleteLabel(name string) (map[string]string, error) {
	var out map[string]string
	_, err := a.c.write(http.MethodDelete, "/appmesh/label/"+escapeID(name), nil, nil, &out)
	return out, err
}

// Resources is the agent's host report in App Mesh's shape.
func (a *AppMesh) Resources() (map[string]any, error) {
	var out map[string]any
	_, err := a.c.query("/appmesh/resources", nil, nil, &out)
	return out, err
}

// FileInfo is what a download says of the file besides its bytes.
type FileInfo struct {
	// Mode is the permission bits (X-File-Mode), -1 when not sent.
	Mode int
	User string
}

// DownloadFile copies the agent's file remote (relative to its file base
// directory) into w.
func (a *AppMesh) DownloadFile(ctx context.Context, remote string, w io.Writer) (FileInfo, error) {
	req, err := a.c.newRequest(ctx, http.MethodGet, "/appmesh/file/download", nil, nil)
	if err != nil {
		return FileInfo{}, err
	}
	req.Header.Set("X-File-Path", url.PathEscape(remote))
	resp, err := a.c.do(req)
	if err != nil {
		return FileInfo{}, err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(w, resp.Body); err != nil {
		return FileInfo{}, fmt.Errorf("download %s: %w", remote, err)
	}
	info := FileInfo{Mode: -1, User: resp.Header.Get("X-File-User")}
	if m, err := strconv.Atoi(resp.Header.Get("X-File-Mode")); err == nil {
		info.Mode = m
	}
	return info, nil
}

// UploadFile sends r as the agent's file remote, as App Mesh's SDKs do: a
// multipart body with a filename field and a file part, streamed; mode
// (permission bits, -1 none) goes in X-File-Mode.
func (a *AppMesh) UploadFile(ctx context.Context, remote string, r io.Reader, mode int) error {
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	req, err := a.c.newRequest(ctx, http.MethodPost, "/appmesh/file/upload", nil, nil)
	if err != nil {
		return err
	}
	req.Body = pr
	req.ContentLength = -1
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("X-File-Path", url.PathEscape(remote))
	if mode >= 0 {
		req.Header.Set("X-File-Mode", strconv.Itoa(mode))
	}
	// The writer ends when the body is written or the request closes
	// the pipe's reader (it gave up, or the agent answered early).
	done := make(chan struct{})
	go func() {
		defer close(done)
		pw.CloseWithError(writeUpload(mw, path.Base(remote), r))
	}()
	resp, err := a.c.do(req)
	pr.Close()
	<-done
	if err != nil {
		return err
	}
	resp.Body.Close()
	return nil
}

func writeUpload(mw *multipart.Writer, name string, r io.Reader) error {
	if err := mw.WriteField("filename", name); err != nil {
		return err
	}
	part, err := mw.CreateFormFile("file", "filename")
	if err != nil {
		return err
	}
	if _, err := io.Copy(part, r); err != nil {
		return fmt.Errorf("read the file to upload: %w", err)
	}
	return mw.Close()
}
