# tflint's bundled terraform ruleset, every rule on (documented variables
# and outputs, typed variables, pinned providers, naming, module structure…).
plugin "terraform" {
  enabled = true
  preset  = "all"
}
