package pkg

func Fine() {}
