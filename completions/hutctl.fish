# fish completion for hutctl
# Install: mkdir -p ~/.config/fish/completions &&
#          hutctl completion fish > ~/.config/fish/completions/hutctl.fish
function __hutctl_complete
    set -l words (commandline -opc)
    set -e words[1]
    set -l out (hutctl __complete -- $words (commandline -ct) 2>/dev/null)
    if test "$out[1]" = ':files'
        __fish_complete_path (commandline -ct)
    else
        printf '%s\n' $out
    end
end
complete -c hutctl -f -a '(__hutctl_complete)'
