Console.WriteLine("forge");
