package main

import (
	"bufio"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/latent-vae/latent/internal/cli"
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
	checked := 0
	for _, file := range files {
		for _, l := range docCommandLines(t, file) {
			if err := parseDocCommand(l.args); err != nil {
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
// and operands) as latent does, without running the command: the command
// exists and its flags parse.
func parseDocCommand(args []string) error {
	root := program().Root(io.Discard, io.Discard)
	if args[0] == "--help" || args[0] == "--version" {
		return nil
	}
	if args[0] == "help" {
		args = args[1:]
	}
	cmd, rest, err := root.Find(args)
	switch {
	case err != nil:
		return err
	case cmd == root && len(args) > 0:
		return errors.New("no such command")
	}
	if err := cmd.ParseFlags(rest); err != nil {
		return cli.FlagError(cmd, err)
	}
	if operands := cmd.Flags().Args(); len(operands) > 0 && cmd.HasAvailableSubCommands() {
		return cli.UnknownCommand(cmd, operands)
	}
	return nil
}
