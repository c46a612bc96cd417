from bot.runtime.main import main

main()
