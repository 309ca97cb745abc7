package cli

import "github.com/spf13/pflag"

// optional is the value of a flag whose value may be left out: it
// records whether it was.
type optional struct {
	pflag.Value
	alone      string // the value the flag takes when given alone
	givenAlone bool
}

// aloneMarker is an optional flag's NoOptDefVal: what pflag sets it to
// when it is given alone.
const aloneMarker = "\x00alone"

// Set sets the value, or the alone value for the marker.
func (o *optional) Set(s string) error {
	o.givenAlone = s == aloneMarker
	if o.givenAlone {
		s = o.alone
	}
	return o.Value.Set(s)
}

// OptionalValue defines the flag name of value on fs, whose value may be
// left out (it is then alone) or given as the operand after it, --name
// VALUE as --name=VALUE, when that operand is like a value (like says).
// It returns what the command's body calls on its operands: it sets the
// value given so and returns the other operands.
func OptionalValue(fs *pflag.FlagSet, value pflag.Value, name, alone, usage string, like func(string) bool) func(args []string) ([]string, error) {
	o := &optional{Value: value, alone: alone}
	fs.Var(o, name, usage)
	fs.Lookup(name).NoOptDefVal = aloneMarker
	return func(args []string) ([]string, error) {
		if !o.givenAlone || len(args) == 0 || !like(args[0]) {
			return args, nil
		}
		if err := value.Set(args[0]); err != nil {
			return nil, Usagef("invalid value %q for flag %s: %v", args[0], Dashed(name), err)
		}
		return args[1:], nil
	}
}
