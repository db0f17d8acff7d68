package structs

// Defaults for a task's log rotation.
const (
	DefaultLogMaxFiles    = 10
	DefaultLogMaxFileSize = 10 // MB
)

// LogConfig is a task's `logs` block: how many rotated files of its stdout
// and stderr are kept, and how large each may grow (MB) before the next one
// is started. Files are named <task>.stdout.<n> and <task>.stderr.<n>, the
// highest n being the newest.
type LogConfig struct {
	MaxFiles      int `json:"max_files"`
	MaxFileSizeMB int `json:"max_file_size"`
}

// Canonicalize fills in defaults.
func (l *LogConfig) Canonicalize() {
	if l.MaxFiles == 0 {
		l.MaxFiles = DefaultLogMaxFiles
	}
	if l.MaxFileSizeMB == 0 {
		l.MaxFileSizeMB = DefaultLogMaxFileSize
	}
}

// Validate checks the log settings.
func (l *LogConfig) Validate() error {
	v := &ValidationError{}
	if l.MaxFiles < 0 {
		v.Add("", "max_files must not be negative (got %d)", l.MaxFiles)
	}
	if l.MaxFileSizeMB < 0 {
		v.Add("", "max_file_size must not be negative (got %d)", l.MaxFileSizeMB)
	}
	return v.ErrorOrNil()
}

// Copy returns a copy; nil stays nil.
func (l *LogConfig) Copy() *LogConfig {
	if l == nil {
		return nil
	}
	c := *l
	return &c
}
