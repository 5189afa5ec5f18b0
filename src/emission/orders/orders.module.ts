import { Module } from '@nestjs/common';
import { CardsModule } from '../../cards/cards.module.js';
import { PhotoModule } from '../../photo/photo.module.js';
import { RegisterModule } from '../../register/register.module.js';
import { OrderRepository } from './order.repository.js';
import { OrdersController } from './orders.controller.js';
import { OrdersJobs } from './orders.jobs.js';
import { OrdersService } from './orders.service.js';
import { RequestProgressRepository } from './request-progress.repository.js';

/** Step 4: card orders (by the fund, or automatically once the photo is accepted). */
@Module({
  imports: [CardsModule, RegisterModule, PhotoModule],
  controllers: [OrdersController],
  providers: [OrderRepository, RequestProgressRepository, OrdersService, OrdersJobs],
  exports: [OrdersService, OrderRepository, RequestProgressRepository],
})
export class OrdersModule {}
