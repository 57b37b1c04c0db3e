from icop.cli import main

main()
