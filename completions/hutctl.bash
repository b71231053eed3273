# bash completion for hutctl                              -*- shell-script -*-
# Install: mkdir -p ~/.local/share/bash-completion/completions &&
#          hutctl completion bash > ~/.local/share/bash-completion/completions/hutctl
_hutctl() {
  local line=${COMP_LINE:0:COMP_POINT} out item cur prefix
  local -a words
  # The words as typed: bash splits COMP_WORDS at = and :, which --opt=value and role:agent have.
  read -ra words <<<"$line"
  [[ ${#words[@]} -le 1 || $line == *[[:space:]] ]] && words+=("")
  words=("${words[@]:1}")
  cur=${words[${#words[@]}-1]}
  # bash replaces only what follows the last = or :, so that part is what each answer keeps.
  prefix=${cur%"${cur##*[=:]}"}
  out=$(hutctl __complete -- "${words[@]}" 2>/dev/null) || return 0
  COMPREPLY=()
  if [[ $out == :files ]]; then
    compopt -o default 2>/dev/null
    return 0
  fi
  while IFS= read -r item; do
    item=${item%%$'\t'*}
    [[ -n $item ]] && COMPREPLY+=("${item#"$prefix"}")
  done <<<"$out"
}
complete -F _hutctl hutctl
