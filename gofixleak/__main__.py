from gofixleak.cli import main

main()
