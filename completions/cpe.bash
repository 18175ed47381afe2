# bash completion for cpe (bash 4.4+). Install: echo ". /path/to/completions/cpe.bash" >> ~/.bashrc
# Typer's script, plus readline's filename quoting: a value with spaces ("Regulatory Ethics") is listed
# as it reads and inserted as one word (Regulatory\ Ethics).
_cpe_completion() {
    local IFS=$'\n'
    COMPREPLY=( $( env COMP_WORDS="${COMP_WORDS[*]}" \
                   COMP_CWORD=$COMP_CWORD \
                   _CPE_COMPLETE=complete_bash $1 ) )
    compopt -o filenames 2>/dev/null
    return 0
}

complete -o default -F _cpe_completion cpe
