from celvault.cli import main

main()
