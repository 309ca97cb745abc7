package main

import (
	"bufio"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestDocsCommandsParse checks every `latent …` line of the README's and
// docs/'s shell blocks against the flags of the command it runs: the
// command exists, and its flags parse. A flag renamed or removed in the
// code fails here, naming the file and line that still shows it.
func TestDocsCommandsParse(t *testing.T) {
	files, err := filepath.Glob("../../docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, "../../README.md")
	cmds := commands()
	checked := 0
	for _, file := range files {
		for _, l := range docCommandLines(t, file) {
			if err := parseDocCommand(cmds, l.args); err != nil {
				t.Errorf("%s:%d: %s: %v", file, l.line, strings.Join(l.args, " "), err)
			}
			checked++
		}
	}
	if checked < 50 {
		t.Errorf("found %d latent command lines in the docs, want at least 50: is the scan broken?", checked)
	}
}

// docLine is one latent command of a doc: its words and line number.
type docLine struct {
	args []string
	line int
}

// docCommandLines returns the lines of file's fenced code blocks that run
// latent (a trailing `# comment` and shell continuations handled).
func docCommandLines(t *testing.T, file string) []docLine {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []docLine
	inBlock, shell, n, pending, start := false, false, 0, "", 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		n++
		text := strings.TrimSpace(sc.Text())
		if lang, ok := strings.CutPrefix(text, "```"); ok {
			inBlock = !inBlock
			shell = inBlock && slices.Contains([]string{"", "sh", "bash", "shell", "console"}, lang) // not a ```go program
			continue
		}
		if !inBlock || !shell {
			continue
		}
		if pending == "" {
			start = n
		}
		if strings.HasSuffix(text, `\`) {
			pending += strings.TrimSuffix(text, `\`) + " "
			continue
		}
		text, pending = pending+text, ""
		words, err := shellWords(text)
		if err != nil {
			t.Errorf("%s:%d: %v", file, start, err)
			continue
		}
		if len(words) > 1 && words[0] == "latent" {
			out = append(out, docLine{words[1:], start})
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// shellWords splits a shell line into words: quotes group, a # that starts
// a word begins a comment, and a pipe, redirection or && ends the command.
func shellWords(line string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	quote := rune(0)
	for _, r := range line {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t':
			if inWord {
				words, inWord = append(words, cur.String()), false
				cur.Reset()
			}
		case !inWord && (r == '#' || r == '|' || r == '>' || r == '&' || r == ';'):
			return words, nil
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, errors.New("unclosed quote")
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// parseDocCommand parses args (a command, maybe a subcommand, then flags
// and operands) with the flag set the command shows for --help.
func parseDocCommand(cmds map[string]command, args []string) error {
	if args[0] == "help" || args[0] == "--help" || args[0] == "--version" {
		if len(args) > 1 && cmds[args[1]].run == nil {
			return errors.New("help on no such command")
		}
		return nil
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		return errors.New("no such command")
	}
	rest := args[1:]
	fs := flagSet(cmd)
	if len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		// A subcommand (prior fit, data fetch) has a flag set of its own.
		var help helpRequest
		if err := cmd.run([]string{rest[0], "--help"}, io.Discard, io.Discard); errors.As(err, &help) && help.fs != fs {
			fs, rest = help.fs, rest[1:]
		}
	}
	if fs == nil {
		return errors.New("the command shows no flag set for --help")
	}
	fs.SetOutput(io.Discard)
	if err := parseFlags(fs, rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errors.New("asks for --help")
		}
		return err
	}
	return nil
}
