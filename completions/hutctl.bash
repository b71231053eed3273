# bash completion for hutctl                              -*- shell-script -*-
# Install: hutctl completion bash > ~/.local/share/bash-completion/completions/hutctl
_hutctl() {
  local cur=${COMP_WORDS[COMP_CWORD]} out line
  local -a words=("${COMP_WORDS[@]:1:COMP_CWORD}")
  out=$(hutctl __complete -- "${words[@]}" 2>/dev/null) || return 0
  if [[ $out == :files ]]; then
    compopt -o default 2>/dev/null
    COMPREPLY=()
    return 0
  fi
  COMPREPLY=()
  while IFS= read -r line; do
    [[ -n $line ]] && COMPREPLY+=("${line%%$'\t'*}")
  done <<<"$out"
}
complete -F _hutctl hutctl
