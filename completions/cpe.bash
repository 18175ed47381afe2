# bash completion for cpe (bash 4.4+). Install: echo ". /path/to/completions/cpe.bash" >> ~/.bashrc
# Typer's script, plus quoting: a value with spaces ("Regulatory Ethics") is inserted as one word.
_cpe_completion() {
    local IFS=$'\n' i
    COMPREPLY=( $( env COMP_WORDS="${COMP_WORDS[*]}" \
                   COMP_CWORD=$COMP_CWORD \
                   _CPE_COMPLETE=complete_bash $1 ) )
    for i in "${!COMPREPLY[@]}"; do
        printf -v "COMPREPLY[$i]" '%q' "${COMPREPLY[$i]}"
    done
    return 0
}

complete -o default -F _cpe_completion cpe
