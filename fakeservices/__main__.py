from fakeservices.cli import main

main()
